// Placeholder until the page is written.
export function JobsPage(_props: Record<string, unknown>) {
  return <h1>jobs</h1>;
}
