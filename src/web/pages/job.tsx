// Placeholder until the page is written.
export function JobPage(_props: Record<string, unknown>) {
  return <h1>job</h1>;
}
