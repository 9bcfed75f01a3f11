// Starts Swagger UI on /api/docs. A file of its own, not an inline script, so that the page
// runs under the same Content-Security-Policy as every other (script-src 'self').
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    // The default validator is an image from validator.swagger.io: nothing leaves this server.
    validatorUrl: null,
  });
});
