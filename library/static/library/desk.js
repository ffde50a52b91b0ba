// The circulation desk. The scan box takes the focus on every page load (a scanner types
// its digits and Enter into whatever has it; the autofocus attribute alone is not always
// honoured after a navigation). "Print slip" opens the browser's print dialog; the print
// stylesheet (desk.css) prints only the slip. No inline script: the CSP forbids it.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("desk-scan");
  if (box) {
    box.focus();
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print-slip]")) {
    window.print();
  }
});
