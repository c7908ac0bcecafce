// The wallboard's poll: the panel is fetched again every few seconds and swapped in. A
// session that ended (the login page comes back instead) reloads the page, which shows the
// login form; a failed fetch keeps the last panel and marks it stale.
(function () {
  "use strict";
  var panel = document.getElementById("wall-panel");
  if (!panel) { return; }
  var url = panel.getAttribute("data-panel-url");
  var every = (parseInt(panel.getAttribute("data-every"), 10) || 5) * 1000;

  function refresh() {
    fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          window.location.reload();
          return null;
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        panel.innerHTML = html;
        panel.classList.remove("stale");
      })
      .catch(function () { panel.classList.add("stale"); })
      .then(function () { window.setTimeout(refresh, every); });
  }

  window.setTimeout(refresh, every);
}());
