// Markdown files imported by the web app come in as text (scripts/build-web.mjs: loader '.md': 'text').
declare module '*.md' {
  const text: string;
  export default text;
}
