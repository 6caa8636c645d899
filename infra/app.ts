// `cdk synth` / `cdk deploy` entry (cdk.json: npx tsx infra/app.ts).
import { createClaimsApp } from '#infra/claims-app.ts';

createClaimsApp().app.synth();
