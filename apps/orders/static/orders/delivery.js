// Checkout: changing a delivery method, slot or pickup point re-prices the page by pressing
// the form's own "更新配送方式与运费" button (the no-JavaScript path stays the same).
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var box = event.target.closest("[data-delivery-store]");
    if (!box) return;
    var button = box.querySelector('button[name="requote"]');
    if (button) form.requestSubmit ? form.requestSubmit(button) : button.click();
  });
})();
