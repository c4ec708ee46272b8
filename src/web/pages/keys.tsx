// Placeholder until the page is written.
export function KeysPage(_props: Record<string, unknown>) {
  return <h1>keys</h1>;
}
