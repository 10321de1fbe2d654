// Progress of a background report: polls the status endpoint, then starts the download.
// Loaded as a file (CSP allows no inline script); without it the page refreshes itself.
"use strict";

(function () {
  const box = document.getElementById("report-job");
  if (!box || !document.getElementById("report-progress")) {
    return;
  }
  const progress = document.getElementById("report-progress");
  const message = document.getElementById("report-message");

  function show(status) {
    if (status.total) {
      progress.max = status.total;
      progress.value = status.done;
      progress.textContent = status.done + " of " + status.total;
    }
    message.textContent = status.message;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.state === "done") {
          document.getElementById("report-summary").textContent = status.message;
          document.getElementById("report-download").textContent = "Download " + status.filename;
          document.getElementById("report-running").hidden = true;
          document.getElementById("report-done").hidden = false;
          window.location.assign(status.download_url);
        } else if (status.state === "failed" || status.state === "expired") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        message.textContent = "Lost contact with the server; retrying…";
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
