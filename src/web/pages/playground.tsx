// Placeholder until the page is written.
export function PlaygroundPage(_props: Record<string, unknown>) {
  return <h1>playground</h1>;
}
