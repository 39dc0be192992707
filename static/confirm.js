// Forms that change many things at once ask first; the question (with its count) is in the
// form's data-confirm attribute, written by the page in the reader's language. A form with
// data-count="ids" puts the number of ticked "ids" boxes in place of {n}, and refuses to
// send none.
document.addEventListener("submit", function (event) {
  var form = event.target;
  // A button may carry its own question (one form, a harmless and a lasting button).
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm-button")) || form.getAttribute("data-confirm");
  if (!question) return;
  var counted = form.getAttribute("data-count");
  if (counted) {
    var n = form.querySelectorAll('input[name="' + counted + '"]:checked').length;
    question = question.replace("{n}", String(n));
  }
  if (!window.confirm(question)) {
    event.preventDefault();
  }
});
// A header checkbox with data-select-all="ids" ticks or clears every "ids" box of its form.
document.addEventListener("change", function (event) {
  var name = event.target.getAttribute && event.target.getAttribute("data-select-all");
  if (!name) return;
  var form = event.target.closest("form") || document;
  form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});
// A print link prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
