// Copies the front-end files the pages use out of node_modules (`npm ci && npm run vendor`),
// so that the server needs no CDN and no network: see static/vendor/README.md.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { feature } from "topojson-client";

const out = new URL("./static/vendor/", import.meta.url);
const modules = new URL("../../../node_modules/", import.meta.url);

mkdirSync(new URL("leaflet/images/", out), { recursive: true });
for (const file of ["leaflet.js", "leaflet.css", "images/marker-icon.png",
  "images/marker-icon-2x.png", "images/marker-shadow.png", "images/layers.png",
  "images/layers-2x.png"]) {
  copyFileSync(new URL(`leaflet/dist/${file}`, modules), new URL(`leaflet/${file}`, out));
}
copyFileSync(new URL("leaflet/LICENSE", modules), new URL("leaflet/LICENSE", out));

mkdirSync(new URL("htmx/", out), { recursive: true });
copyFileSync(new URL("htmx.org/dist/htmx.min.js", modules), new URL("htmx/htmx.min.js", out));
copyFileSync(new URL("htmx.org/LICENSE", modules), new URL("htmx/LICENSE", out));

// Swagger UI for /api/docs: the bundle (no standalone preset: the page uses the base layout),
// its styles and icon, and its licence and notice.
mkdirSync(new URL("swagger-ui/", out), { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE",
  "NOTICE"]) {
  copyFileSync(new URL(`swagger-ui-dist/${file}`, modules), new URL(`swagger-ui/${file}`, out));
}

// Natural Earth 1:50m countries around the Levant only: the whole world is 700 kB, this is 40.
const LEVANT = new Set(["Syria", "Lebanon", "Israel", "Palestine", "Jordan", "Iraq", "Turkey",
  "Cyprus", "Egypt", "Saudi Arabia"]);
const atlas = JSON.parse(readFileSync(new URL("world-atlas/countries-50m.json", modules)));
const countries = feature(atlas, atlas.objects.countries);
countries.features = countries.features
  .filter((country) => LEVANT.has(country.properties.name))
  .map((country) => ({ ...country, geometry: round(country.geometry) }));
mkdirSync(new URL("natural-earth/", out), { recursive: true });
writeFileSync(new URL("natural-earth/levant-50m.geojson", out), JSON.stringify(countries));
copyFileSync(new URL("world-atlas/LICENSE", modules), new URL("natural-earth/LICENSE-world-atlas", out));

function round(geometry) {
  const near = (value) => (Array.isArray(value) ? value.map(near) : Math.round(value * 1e3) / 1e3);
  return { ...geometry, coordinates: near(geometry.coordinates) };
}
