// Placeholder until the page is written.
export function ModelPage(_props: Record<string, unknown>) {
  return <h1>model</h1>;
}
