// The page's only script, and an optional one: everything is readable
// without it. It shows a chart shape's hover text at once (the <title>
// the browser would show after a delay), and sorts a table by a column
// when its heading is clicked. It fetches nothing.
(function () {
  "use strict";

  var tip = document.createElement("div");
  tip.id = "tooltip";
  tip.setAttribute("role", "status");
  document.body.appendChild(tip);

  // SVG shapes keep their hover text in a <title> child; move it to an
  // attribute so the browser's own (slower) tooltip does not show too.
  Array.prototype.forEach.call(document.querySelectorAll("svg rect > title, svg circle > title"), function (title) {
    title.parentNode.setAttribute("data-tip", title.textContent);
    title.parentNode.removeChild(title);
  });

  function show(event) {
    var target = event.target.closest ? event.target.closest("[data-tip]") : null;
    if (!target) {
      tip.style.display = "none";
      return;
    }
    tip.textContent = target.getAttribute("data-tip");
    tip.style.display = "block";
    var x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = event.clientY + 16;
    if (y + tip.offsetHeight > window.innerHeight) {
      y = event.clientY - tip.offsetHeight - 10;
    }
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  document.addEventListener("pointermove", show);
  document.addEventListener("pointerdown", show);
  document.addEventListener("scroll", function () { tip.style.display = "none"; }, { passive: true });

  // Sortable tables: numbers by value, text alphabetically; empty (NULL)
  // numbers last either way.
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headings = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(headings, function (heading, column) {
      var button = heading.querySelector("button");
      if (!button) {
        return;
      }
      button.addEventListener("click", function () {
        var descending = heading.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(headings, function (h) { h.removeAttribute("aria-sort"); });
        heading.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var numeric = heading.classList.contains("num");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        // Numbers sort by their raw value (data-sort), text by itself.
        var key = function (row) {
          var cell = row.cells[column];
          return numeric ? cell.getAttribute("data-sort") : cell.textContent.trim();
        };
        rows.sort(function (a, b) {
          var x = key(a);
          var y = key(b);
          if (x === "" || y === "") {
            return (x === "") - (y === "");
          }
          var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
