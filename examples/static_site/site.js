// Marks the current page's link in the menu, and on the gallery counts the
// pictures that loaded: proof that the script and the images were served.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll("nav a")) {
    if (link.pathname === location.pathname) link.setAttribute("aria-current", "page");
  }
  const pictures = document.querySelectorAll(".gallery img");
  const counter = document.querySelector("#loaded");
  if (!counter) return;
  const show = () => {
    const loaded = [...pictures].filter((img) => img.complete && img.naturalWidth > 0).length;
    counter.textContent = `${loaded} of ${pictures.length} pictures loaded`;
  };
  for (const img of pictures) img.addEventListener("load", show);
  show();
});
