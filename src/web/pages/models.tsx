// Placeholder until the page is written.
export function ModelsPage(_props: Record<string, unknown>) {
  return <h1>models</h1>;
}
