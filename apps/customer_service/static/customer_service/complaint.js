// Anonymous complaint: ask for the SMS code without leaving the form.
(function () {
  var button = document.getElementById("cs-send-code");
  if (!button) return;
  var status = document.getElementById("cs-code-status");
  var form = button.closest("form");
  button.addEventListener("click", function () {
    var body = new FormData();
    body.append("contact_phone", form.querySelector("[name=contact_phone]").value);
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    button.disabled = true;
    fetch(button.dataset.url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        var ok = result[0], data = result[1];
        status.textContent = ok ? "验证码已发送至 " + data.sent_to : data.message;
        setTimeout(function () { button.disabled = false; }, ok ? 60000 : 1000);
      })
      .catch(function () { status.textContent = "发送失败，请稍后再试。"; button.disabled = false; });
  });
})();
