// Admiral's GraphiQL page: renders the vendored GraphiQL against /graphql.
//
// The operator pastes a key into the Headers editor ({"Authorization": "Bearer <key>"}); every
// request sends the headers from that editor. Headers are not stored in localStorage. A blank
// "Bearer " is left out rather than sent (the API would answer it with a 401). When the
// Authorization header changes, the schema is fetched again with it, so the docs and
// autocompletion appear once a key is pasted (anonymous callers get no introspection). Until
// then the schema fetch is answered here, with what to do, instead of a 401 from the server.
"use strict";

(function () {
  var ENDPOINT = "/graphql";
  var DEFAULT_HEADERS = '{"Authorization": "Bearer "}';
  var DEFAULT_QUERY = [
    "# Paste your key into the Headers tab below:",
    '#   {"Authorization": "Bearer <key>"}',
    "# then run it with Ctrl-Enter.",
    "",
    "{",
    "  me {",
    "    scope",
    "  }",
    "}",
    "",
  ].join("\n");

  var e = React.createElement;
  var base = GraphiQL.createFetcher({ url: ENDPOINT });

  function isBlankAuthorization(name, value) {
    return name.toLowerCase() === "authorization" && /^\s*(bearer)?\s*$/i.test(String(value));
  }

  var NO_KEY_YET = {
    errors: [
      {
        message:
          'No key yet. Paste a master key or a session token into the Headers tab as ' +
          '{"Authorization": "Bearer <key>"}: the schema, docs and autocompletion load then. ' +
          "(`scripts/serve` printed a master key on its first run; " +
          "`admiral keys create-master --name NAME` makes another.)",
        extensions: { code: "NO_KEY_YET" },
      },
    ],
  };

  function isIntrospection(params) {
    return params && params.operationName === "IntrospectionQuery";
  }

  function fetcher(params, options) {
    var headers = {};
    var given = (options && options.headers) || {};
    var authorized = false;
    Object.keys(given).forEach(function (name) {
      if (isBlankAuthorization(name, given[name])) return;
      headers[name] = given[name];
      if (name.toLowerCase() === "authorization") authorized = true;
    });
    if (!authorized && isIntrospection(params)) return Promise.resolve(NO_KEY_YET);
    return base(params, Object.assign({}, options, { headers: headers }));
  }

  // The Authorization value in the headers editor's text, or null while it is not valid JSON.
  function authorizationOf(text) {
    var headers;
    try {
      headers = JSON.parse(text || "{}");
    } catch (error) {
      return null;
    }
    if (headers === null || typeof headers !== "object") return null;
    var found = "";
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === "authorization") found = String(headers[name]).trim();
    });
    return found;
  }

  function AdmiralGraphiQL() {
    var state = React.useState(authorizationOf(DEFAULT_HEADERS));
    var authorization = state[0];
    var setAuthorization = state[1];
    var timer = React.useRef(null);
    // A new fetcher makes GraphiQL introspect again, with the headers now in the editor.
    var currentFetcher = React.useMemo(
      function () {
        return function (params, options) {
          return fetcher(params, options);
        };
      },
      [authorization],
    );
    function onEditHeaders(text) {
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(function () {
        var value = authorizationOf(text);
        if (value !== null) setAuthorization(value);
      }, 500);
    }
    return e(GraphiQL, {
      fetcher: currentFetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
      onEditHeaders: onEditHeaders,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(e(AdmiralGraphiQL));
})();
