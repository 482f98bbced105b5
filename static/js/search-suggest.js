// Search box suggestions: as the shopper types, ask the suggest endpoint (same index and
// ranking as the search) and offer product titles, categories and stores in a <datalist>.
(function () {
  "use strict";
  var input = document.querySelector("form.search input[name=q][data-suggest-url]");
  if (!input || !window.fetch) return;
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (!q || q === last) return;
      last = q;
      var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || data.query !== input.value.trim()) return;
          list.textContent = "";
          [].concat(data.products, data.categories, data.stores).forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.text;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
