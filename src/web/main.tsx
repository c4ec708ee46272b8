// The dashboard's entry point: zod's settings before any schema exists, styles, then the app into #app.
import "./zod-config.js";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { App } from "./app.js";

render(<App />, document.getElementById("app")!);
