// Placeholder until the page is written.
export function TrainPage(_props: Record<string, unknown>) {
  return <h1>train</h1>;
}
