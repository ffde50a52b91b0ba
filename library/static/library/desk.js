// The circulation desk: the "Print slip" button opens the browser's print dialog; the
// print stylesheet (desk.css) prints only the slip. No inline script: the CSP forbids it.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print-slip]")) {
    window.print();
  }
});
