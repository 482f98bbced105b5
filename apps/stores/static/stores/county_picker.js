// Province → city → county: a changed select loads the next level's options from the
// picker's endpoint (?province=CODE or ?city=CODE). Without this script a submit with a
// province or city chosen comes back with the next level filled in.
(function () {
  "use strict";
  function reset(select) {
    var prompt = select.options[0];
    select.innerHTML = "";
    select.appendChild(prompt);
    select.value = "";
  }
  function fill(select, children) {
    children.forEach(function (child) {
      var option = document.createElement("option");
      option.value = child.code;
      option.textContent = child.name;
      select.appendChild(option);
    });
    if (children.length === 1) {
      select.value = children[0].code;
      select.dispatchEvent(new Event("change"));
    }
  }
  function load(endpoint, param, code, target) {
    if (!window.fetch || !code) return;
    fetch(endpoint + "?" + param + "=" + encodeURIComponent(code), {
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (children) { fill(target, children); });
  }
  function init(picker) {
    if (picker.getAttribute("data-ready")) return;
    picker.setAttribute("data-ready", "1");
    var endpoint = picker.getAttribute("data-endpoint");
    var province = picker.querySelector('select[data-level="province"]');
    var city = picker.querySelector('select[data-level="city"]');
    var county = picker.querySelector('select[data-level="county"]');
    province.addEventListener("change", function () {
      reset(city);
      reset(county);
      load(endpoint, "province", province.value, city);
    });
    city.addEventListener("change", function () {
      reset(county);
      load(endpoint, "city", city.value, county);
    });
  }
  function initAll() {
    document.querySelectorAll("[data-county-picker]").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
