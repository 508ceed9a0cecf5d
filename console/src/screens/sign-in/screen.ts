import { lazy } from "react";
import { defineScreen } from "../../app/screen";

export default defineScreen({
  public: true,
  bare: true,
  routes: [{ path: "/sign-in", component: lazy(() => import("./SignIn")) }],
});
