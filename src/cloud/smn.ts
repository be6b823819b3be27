import type { CloudHttp } from "./http";
import { paths } from "./paths";

export class SmnClient {
  constructor(private readonly http: CloudHttp) {}

  async publish(topicUrn: string, subject: string, message: string): Promise<void> {
    await this.http.request<unknown>({
      service: "smn",
      operation: "publish",
      method: "POST",
      path: paths.smnPublish(this.http.projectId, topicUrn),
      body: { subject, message },
    });
  }
}
