// Forms that change many things at once ask first; the question (with its count) is in the
// form's data-confirm attribute, written by the page in the reader's language.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
