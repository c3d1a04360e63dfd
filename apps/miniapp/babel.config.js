// babel-preset-taro compiles TSX for both the weapp and the H5 builds. Targets come from the
// "browserslist" field of package.json (modern engines: see README, "ES6 -> ES5").
module.exports = {
  presets: [["taro", { framework: "react", ts: true, compiler: "webpack5" }]],
};
