// "Add a row" under a list of rows: copies the last row with its fields emptied and its
// index one higher (name="jobs[3].org" becomes name="jobs[4].org"). Without script the
// form still offers two empty rows.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-add-row]");
  if (!button) return;
  var rows = button.parentElement.querySelectorAll(".row");
  var last = rows[rows.length - 1];
  if (!last) return;
  var copy = last.cloneNode(true);
  copy.querySelectorAll("input, select").forEach(function (field) {
    field.name = field.name.replace(/\[(\d+)\]/, function (_, n) { return "[" + (Number(n) + 1) + "]"; });
    if (field.tagName === "INPUT") field.value = "";
  });
  last.after(copy);
  var first = copy.querySelector("input");
  if (first) first.focus();
});
