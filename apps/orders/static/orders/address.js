// Optional enhancement of the address form: each division select loads the next level from
// /api/v1/divisions/?parent=CODE, so no "选择下级" round trip is needed. Without this script
// the form still works through its refresh button.
(function () {
  "use strict";
  var form = document.querySelector("[data-address-form]");
  if (!form || !window.fetch) return;
  document.documentElement.classList.add("js");
  var levels = ["province", "city", "county", "township"];
  var selects = levels.map(function (level) {
    return form.querySelector('select[data-division-level="' + level + '"]');
  });
  var endpoint = form.getAttribute("data-divisions-url");

  function reset(select) {
    var prompt = select.options[0];
    select.innerHTML = "";
    select.appendChild(prompt);
    select.value = "";
  }

  selects.forEach(function (select, index) {
    if (!select) return;
    select.addEventListener("change", function () {
      for (var i = index + 1; i < selects.length; i++) reset(selects[i]);
      var next = selects[index + 1];
      if (!next || !select.value) return;
      fetch(endpoint + "?parent=" + encodeURIComponent(select.value), {
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (children) {
          children.forEach(function (child) {
            var option = document.createElement("option");
            option.value = child.code;
            option.textContent = child.name;
            next.appendChild(option);
          });
        });
    });
  });
})();
