// Close the sidebar after a page is chosen in it on a narrow screen: see __init__.py in this folder.
const NARROW = "(max-width: 767.98px)"; // Streamlit's md breakpoint: below it the sidebar lies over the page

function sidebarOpen() {
  const bar = document.querySelector("[data-testid=stSidebar]");
  return !!bar && bar.getBoundingClientRect().right > 1;
}

function onClick(event) {
  const link = event.target instanceof Element && event.target.closest("[data-testid=stSidebarNavLink]");
  if (!link || !window.matchMedia(NARROW).matches) return;
  // after Streamlit's own handler (which closes it on a "mobile" user agent only)
  setTimeout(() => {
    const close = document.querySelector("[data-testid=stSidebarCollapseButton] button");
    if (close && sidebarOpen()) close.click();
  }, 0);
}

export default function () {
  if (window.__pzNavCloser) return; // one listener per page load, however often the app reruns
  window.__pzNavCloser = true;
  document.addEventListener("click", onClick, true);
}
