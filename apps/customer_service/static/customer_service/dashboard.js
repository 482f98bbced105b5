// Customer-service figures as charts (ECharts, vendored in static/vendor/echarts); the
// tables on the same page carry the same numbers for anyone without JavaScript.
(function () {
  function draw() {
    if (!window.echarts) return;
    var data = JSON.parse(document.getElementById("cs-chart-data").textContent);
    var weekly = window.echarts.init(document.getElementById("cs-chart-weekly"));
    weekly.setOption({
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", minInterval: 1 },
      series: ["opened", "resolved", "in_time"].map(function (key) {
        return { name: data.labels[key], type: "line", data: data[key] };
      }),
    });
    var category = window.echarts.init(document.getElementById("cs-chart-category"));
    category.setOption({
      tooltip: {},
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.category_counts }],
    });
    window.addEventListener("resize", function () { weekly.resize(); category.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
