// Type-ahead for the "Your company" field: a WAI-ARIA combobox fed by /api/suggest.
// Loaded as a file (CSP allows no inline script); without it the field still works,
// because the server resolves the typed name itself.
"use strict";

(function () {
  function setup(input) {
    const list = document.getElementById(input.getAttribute("aria-controls"));
    const form = input.form;
    let options = [];
    let active = -1;
    let pending = null;
    let lastQuery = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, i) { item.setAttribute("aria-selected", String(i === index)); });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      const company = options[index];
      if (!company) { return; }
      input.value = company.name;
      close();
      // Partners are found in the other country: preselect it unless the user chose one.
      const other = company.country === "LV" ? "KR" : "LV";
      const radios = form.querySelectorAll("input[name=country]");
      if (!Array.prototype.some.call(radios, function (r) { return r.checked; })) {
        radios.forEach(function (r) { r.checked = r.value === other; });
      }
    }

    function render(companies) {
      options = companies;
      list.replaceChildren();
      companies.forEach(function (company, i) {
        const item = document.createElement("li");
        item.id = input.id + "-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = company.name;
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = [company.name_local, company.city, company.country].filter(Boolean).join(" · ");
        item.appendChild(meta);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(item);
      });
      if (companies.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      const query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (!query) { render([]); return; }
      const url = input.dataset.suggest + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (companies) { if (input.value.trim() === query) { render(companies); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      const open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { lastQuery = ""; fetchSuggestions(); return; }
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(setup);
  });
})();
