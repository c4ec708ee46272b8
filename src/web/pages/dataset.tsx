// Placeholder until the page is written.
export function DatasetPage(_props: Record<string, unknown>) {
  return <h1>dataset</h1>;
}
