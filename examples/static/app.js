// Counts the notes on the page: proof that the script was served and ran.
document.addEventListener("DOMContentLoaded", () => {
  const n = document.querySelectorAll("#notes li").length;
  document.querySelector(".count").textContent = n === 1 ? "1 note" : `${n} notes`;
});
