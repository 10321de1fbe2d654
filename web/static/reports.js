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
  // The page's language: the template puts the translated sentences in data attributes.
  const texts = box.dataset;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function show(status) {
    if (status.total) {
      progress.max = status.total;
      progress.value = status.done;
      progress.textContent = fill(texts.textProgress, { done: status.done, total: status.total });
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
          document.getElementById("report-download").textContent = fill(texts.textDownload, { file: status.filename });
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
        message.textContent = texts.textLost;
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
