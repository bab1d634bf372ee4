// Live lists: when another window changes the data, this page's lists follow.
//
// The server publishes an event named "changed" whose data is the table that
// changed ("contact", "appointment", "task"). A part of the page marked
// data-live="contact task" (with an id) is fetched again and swapped in when one
// of its tables changes: no reload, so the scroll position and anything typed
// elsewhere on the page stay as they are.
"use strict";

const liveParts = () => [...document.querySelectorAll("[data-live][id]")];

if (liveParts().length > 0) {
  // From the version the page was made at: what changed while it loaded comes first.
  const events = new EventSource(`/events?since=${document.documentElement.dataset.version}`);
  let running = false;
  let again = false;

  const refresh = async () => {
    if (running) {
      again = true; // one more fetch when this one ends: changes that came meanwhile
      return;
    }
    running = true;
    try {
      do {
        again = false;
        // X-Refresh tells the server this is not a visit: it keeps the flash
        // messages for the window that made the change.
        const response = await fetch(location.href, { headers: { "X-Refresh": "1" } });
        if (!response.ok) return;
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const part of liveParts()) {
          const newer = fresh.getElementById(part.id);
          if (newer) part.replaceWith(newer);
        }
        document.dispatchEvent(new CustomEvent("live:refreshed"));
      } while (again);
    } finally {
      running = false;
    }
  };

  // <html data-live-state="open"> while connected: the stylesheet shows a dot for it.
  const root = document.documentElement;
  events.addEventListener("open", () => (root.dataset.liveState = "open"));
  events.addEventListener("error", () => (root.dataset.liveState = "reconnecting"));

  events.addEventListener("changed", (event) => {
    const watched = liveParts().some((part) => part.dataset.live.split(" ").includes(event.data));
    if (watched) refresh();
  });
  // Leaving the page closes the connection at once, rather than when the page is gone.
  addEventListener("pagehide", () => events.close());
}
