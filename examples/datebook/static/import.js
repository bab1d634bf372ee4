// The import's progress bar. The "Start" form is sent with fetch; the server
// answers one line of JSON per step of the import, as each step ends:
//   {"done": 50, "total": 120}
// and, last, the summary:
//   {"done": 120, "total": 120, "imported": 118, "skipped": [[5, "Email: ..."]]}
"use strict";

const form = document.getElementById("run");
const bar = document.getElementById("progress");
const label = document.getElementById("progress-label");

const show = (step) => {
  bar.max = step.total;
  bar.value = step.done;
  const percent = step.total ? Math.round((100 * step.done) / step.total) : 100;
  label.textContent = `${step.done} of ${step.total} rows (${percent} %)`;
  if (!("imported" in step)) return;
  const skipped = step.skipped.length;
  document.getElementById("summary-text").textContent =
    `Imported ${step.imported} contact${step.imported === 1 ? "" : "s"}` +
    (skipped ? `; ${skipped} row${skipped === 1 ? "" : "s"} skipped:` : ".");
  const list = document.getElementById("skipped");
  for (const [line, message] of step.skipped) {
    const item = document.createElement("li");
    item.textContent = `Line ${line}: ${message}`;
    list.append(item);
  }
  document.getElementById("summary").hidden = false;
};

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  form.querySelector("button").disabled = true;
  label.textContent = "Starting…";
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form) });
    if (!response.ok) {
      label.textContent =
        response.status === 404
          ? "This import has run already (or the program was restarted): choose the file again."
          : `The import could not start (${response.status}).`;
      return;
    }
    const lines = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let waiting = "";
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      waiting += value;
      const complete = waiting.split("\n");
      waiting = complete.pop(); // the start of a line still on its way
      for (const line of complete) if (line) show(JSON.parse(line));
    }
  } catch (error) {
    label.textContent = "The import stopped before the end; the program's log says why.";
  }
});
