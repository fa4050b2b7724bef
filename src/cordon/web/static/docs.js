// The API documentation page: Swagger UI from the swagger-ui-bundle package, served locally.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const holder = document.getElementById("swagger-ui");
  if (!holder || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: holder.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
  });
});
