// The chosen language on the document and in the pz_lang cookie: see __init__.py in this folder.
const YEAR = 365 * 24 * 3600;

export default function (component) {
  const data = component && component.data;
  if (!data) return;
  const lang = data.lang === "en" ? "en" : "zh";
  const htmlLang = lang === "en" ? "en" : "zh-CN";
  if (document.documentElement.lang !== htmlLang) document.documentElement.lang = htmlLang;
  const want = "pz_lang=" + lang;
  if (!document.cookie.split("; ").includes(want)) {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${want}; path=/; max-age=${YEAR}; SameSite=Lax${secure}`;
  }
}
