// The dashboard's entry point: styles, then the app into #app.
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { z } from "zod";
import { App } from "./app.js";

// No eval-compiled validators: the page's Content-Security-Policy forbids eval.
z.config({ jitless: true });

render(<App />, document.getElementById("app")!);
