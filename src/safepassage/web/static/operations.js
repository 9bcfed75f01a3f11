// The operations board refreshes its counts through htmx; when a refresh fails, the counts on
// screen are old, and nobody should act on them as if they were live. This marks them stale
// until the next refresh succeeds.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const board = document.getElementById("board");
  const stale = document.getElementById("stale");
  board.addEventListener("htmx:afterRequest", (event) => {
    const failed = !event.detail.successful;
    board.dataset.stale = String(failed);
    stale.hidden = !failed;
  });
});
