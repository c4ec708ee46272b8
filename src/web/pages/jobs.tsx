// #/jobs: every training job, newest first, refreshed while any is queued or running.
import { useEffect } from "preact/hooks";
import { useSession } from "../session.js";
import { href } from "../router.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading, duration, when } from "../components/feedback.js";
import { ACTIVE, Status, epochOf, useTick } from "./job-progress.js";
import "./job.css";

const REFRESH_MS = 2000;

export function JobsPage() {
  const { client } = useSession();
  const jobs = useLoad(() => all(client.jobs.all()), []);
  const list = jobs.data ? [...jobs.data].reverse() : undefined;
  const active = list?.some((j) => ACTIVE.has(j.status)) ?? false;
  useTick(active);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(jobs.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [active]);

  return (
    <>
      <h1>Jobs</h1>
      <ErrorMessage error={jobs.error} />
      {!list && !jobs.error && <Loading what="jobs" />}
      {list && list.length === 0 && (
        <Empty title="No training jobs yet">
          <a href={href("train")}>Train a model</a>
        </Empty>
      )}
      {list && list.length > 0 && (
        <section>
          {active && <p class="hint">Refreshing every {REFRESH_MS / 1000} s while jobs run.</p>}
          <div class="table-scroll">
            <table>
              <caption class="visually-hidden">Training jobs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Created</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {list.map((j) => {
                  const e = epochOf(j.progress);
                  return (
                    <tr key={j.id}>
                      <td>
                        <a href={href("jobs", j.id)}>{j.name}</a>
                        <div class="hint" title={j.id}>job {j.id.slice(0, 8)}</div>
                      </td>
                      <td>
                        <Status status={j.status} />
                      </td>
                      <td>{e ? `epoch ${e.epoch}/${e.epochs}` : "–"}</td>
                      <td>{duration(j.startedAt, j.finishedAt)}</td>
                      <td>{when(j.createdAt)}</td>
                      <td class="job-outcome">
                        {j.error?.message}
                        {j.model && <a href={href("models", j.model.name)}>{`${j.model.name} v${j.model.version}`}</a>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
