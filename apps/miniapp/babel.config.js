// babel-preset-taro compiles TSX for both the weapp and the H5 builds. Targets come from the
// "browserslist" field of package.json (modern engines: see README, "ES6 -> ES5").
//
// The override strips TypeScript from .ts files BEFORE the preset's own plugins run: the preset
// lists @babel/plugin-transform-class-properties as a plugin and TypeScript as a preset, so the
// class-fields plugin would meet `declare` fields (taro-link uses them to need no class-field
// helper) first and refuse them. Config plugins run before preset plugins; `.tsx` files keep the
// preset's TypeScript handling (its JSX pragma), and have no `declare` fields.
module.exports = {
  presets: [["taro", { framework: "react", ts: true, compiler: "webpack5" }]],
  overrides: [{ test: /\.ts$/, plugins: [["@babel/plugin-transform-typescript", { allowDeclareFields: true }]] }],
};
