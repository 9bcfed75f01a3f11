// The map of the operation: country outlines, roads, places, and at the slider's step the
// zones already fallen (the front line) and the part of each planned route travelled so far.
// Everything comes from the server's own /map/data.json and /static: no tiles, no CDN.
"use strict";

(function () {
  const FALLEN = "#c62828";
  const ROAD = "#6d6d6d";
  const ROUTE = "#1565c0";
  const ZONE_METRES = 5000;

  const element = document.getElementById("map");
  const slider = document.getElementById("step");
  const when = document.getElementById("when");
  const summary = document.getElementById("summary");

  const map = L.map(element, { zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Outlines: Natural Earth");

  Promise.all([json(element.dataset.src), json(element.dataset.outlines)]).then(([data, outlines]) => {
    L.geoJSON(outlines, {
      interactive: false,
      style: { color: "#8d8d8d", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1 },
    }).addTo(map);
    draw(data);
  });

  function json(url) {
    return fetch(url, { credentials: "same-origin" }).then((response) => {
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return response.json();
    });
  }

  function draw(data) {
    const place = new Map(data.nodes.map((node) => [node.id, [node.lat, node.lon]]));
    map.fitBounds(L.latLngBounds(data.nodes.map((node) => [node.lat, node.lon])), { padding: [20, 20] });

    const zones = data.zones.map((zone) => ({
      step: zone.unsafe_step,
      areas: zone.nodes.map((id) =>
        L.circle(place.get(id), { radius: ZONE_METRES, color: FALLEN, weight: 1, fillColor: FALLEN,
          fillOpacity: 0.3, interactive: false, className: "zone" })),
    }));
    const roads = data.roads.map((road) => ({
      step: road.unsafe_step,
      line: L.polyline([place.get(road.a), place.get(road.b)], { color: ROAD, weight: 2,
        interactive: false }).addTo(map),
    }));
    const windows = new Map(data.crossings.map((crossing) => [crossing.node, crossing]));
    const crossings = [];
    for (const node of data.nodes) {
      if (node.kind === "junction") continue;
      const crossing = windows.get(node.id);
      const label = crossing ? `${node.name} (${crossing.country})` : node.name;
      const marker = L.circleMarker([node.lat, node.lon], {
        radius: crossing ? 7 : 4, weight: crossing ? 3 : 1, color: crossing ? "#2e7d32" : "#333",
        fillColor: "#fff", fillOpacity: 1, className: crossing ? "crossing" : "town",
      }).bindTooltip(label, { permanent: true, direction: "right", offset: [6, 0],
        className: "place" }).addTo(map);
      if (crossing) crossings.push({ marker, windows: crossing.windows });
    }
    const routes = L.layerGroup().addTo(map);

    slider.max = String(data.horizon_steps - 1);
    slider.disabled = false;
    const show = () => update(Number(slider.value));
    slider.addEventListener("input", show);
    show();

    function update(step) {
      let fallen = 0;
      for (const zone of zones) {
        const down = step >= zone.step;
        fallen += down ? 1 : 0;
        for (const area of zone.areas) {
          if (down && !map.hasLayer(area)) area.addTo(map).getElement().classList.add("zone-fallen");
          if (!down && map.hasLayer(area)) area.remove();
        }
      }
      for (const road of roads) {
        const cut = road.step !== null && step >= road.step;
        road.line.setStyle(cut ? { color: FALLEN, dashArray: "4 4" } : { color: ROAD, dashArray: null });
      }
      let open = 0;
      for (const crossing of crossings) {
        const isOpen = crossing.windows.some(([from, until]) => from <= step && step < until);
        open += isOpen ? 1 : 0;
        crossing.marker.setStyle({ fillColor: isOpen ? "#66bb6a" : "#fff" });
      }
      routes.clearLayers();
      const tally = { moving: 0, movingPersons: 0, out: 0, outPersons: 0 };
      for (const household of data.households) {
        const travelled = travelledPart(household.itinerary, step, place);
        if (travelled === null) continue;
        L.polyline(travelled.points, { color: ROUTE, weight: 3, opacity: 0.6, className: "route" })
          .bindTooltip(`household ${household.id} (${household.size ?? "?"})`).addTo(routes);
        if (travelled.out) {
          tally.out += 1;
          tally.outPersons += household.size ?? 0;
        } else {
          tally.moving += 1;
          tally.movingPersons += household.size ?? 0;
          L.circleMarker(travelled.points[travelled.points.length - 1], { radius: 3, color: ROUTE,
            fillOpacity: 1, className: "household" }).addTo(routes);
        }
      }
      when.textContent = clock(data, step);
      summary.textContent = `${fallen} of ${zones.length} zones fallen · ` +
        `${open} of ${crossings.length} crossings open · ` +
        `${tally.moving} households (${tally.movingPersons} persons) on the road · ` +
        `${tally.out} households (${tally.outPersons} persons) crossed`;
      element.dataset.step = String(step);
      element.dataset.fallenZones = String(fallen);
      element.dataset.routes = String(tally.moving + tally.out);
      element.dataset.crossed = String(tally.out);
      element.dataset.openCrossings = String(open);
      element.dataset.ready = "true";
    }
  }

  // The itinerary up to `step`: the nodes reached, then the point between two nodes where the
  // household is on the road (linear in time). Null before it leaves home.
  function travelledPart(itinerary, step, place) {
    if (itinerary.length === 0 || itinerary[0][2] === null || step < itinerary[0][2]) return null;
    const points = [];
    for (let i = 0; i < itinerary.length; i += 1) {
      const [node, arrive, depart] = itinerary[i];
      if (arrive > step) break;
      points.push(place.get(node));
      if (depart === null || step <= depart) return { points, out: false };
      const next = itinerary[i + 1];
      if (next === undefined) return { points, out: true };
      if (step < next[1]) {
        const share = (step - depart) / (next[1] - depart);
        const [a, b] = [place.get(node), place.get(next[0])];
        points.push([a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share]);
        return { points, out: false };
      }
    }
    return { points, out: false };
  }

  // The step's start as the scenario writes time, in its own UTC offset.
  function clock(data, step) {
    const start = Date.parse(data.start);
    const local = new Date(start + (step * data.step_minutes + data.utc_offset_minutes) * 60000);
    const sign = data.utc_offset_minutes < 0 ? "-" : "+";
    const hours = String(Math.floor(Math.abs(data.utc_offset_minutes) / 60)).padStart(2, "0");
    return `${local.toISOString().slice(0, 16).replace("T", " ")} UTC${sign}${hours}`;
  }
})();
