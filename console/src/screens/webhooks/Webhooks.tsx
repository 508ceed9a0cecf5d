import { Deliveries } from "./Deliveries";

export default function Webhooks() {
  return (
    <section>
      <h1>Webhook deliveries</h1>
      <p className="muted">Endpoints belong to a customer: add, test and delete them on its page.</p>
      <Deliveries />
    </section>
  );
}
