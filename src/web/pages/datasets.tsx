// Placeholder until the page is written.
export function DatasetsPage(_props: Record<string, unknown>) {
  return <h1>datasets</h1>;
}
