// What Vite's client types declare for `?url` imports (this app does not install vite itself:
// the test builds it with the repository's).
declare module '*?url' {
  const url: string;
  export default url;
}
