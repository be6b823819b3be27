import type { CloudHttp } from "./http";
import { paths } from "./paths";

export class FunctionGraphClient {
  constructor(private readonly http: CloudHttp) {}

  /** Queues an asynchronous invocation of `functionUrn` with `event`; returns its request id. */
  async invokeAsync(functionUrn: string, event: unknown): Promise<string | undefined> {
    const res = await this.http.request<{ request_id?: string } | undefined>({
      service: "functiongraph",
      operation: "invokeAsync",
      method: "POST",
      path: paths.invokeAsync(this.http.projectId, functionUrn),
      body: event,
    });
    return res.body?.request_id;
  }
}
