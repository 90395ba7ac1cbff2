import { segment, type RequestOptions, type Transport } from "../http";
import { TranscodeTemplate, TranscodeTemplateList, type TranscodeTemplateSet } from "@liverelay/api";

const templatesPath = (domain: string) => `/v1/domains/${segment(domain, "domain")}/transcode-templates`;
const templatePath = (domain: string, id: string) => `${templatesPath(domain)}/${segment(id, "templateId")}`;

/**
 * `client.transcodeTemplates`: while a stream of the template's app is live, its rendition
 * `<streamName>_<templateId>` is live too (relay it by naming it in a relay template).
 */
export class TranscodeTemplates {
  constructor(private readonly http: Transport) {}

  /** Creates or replaces the template `templateId` (1-32 letters, digits or '-'). Idempotent. */
  async put(domain: string, templateId: string, input: TranscodeTemplateSet, options?: RequestOptions): Promise<TranscodeTemplate> {
    return this.http.json(TranscodeTemplate, { ...options, method: "PUT", path: templatePath(domain, templateId), body: input });
  }

  async get(domain: string, templateId: string, options?: RequestOptions): Promise<TranscodeTemplate> {
    return this.http.json(TranscodeTemplate, { ...options, method: "GET", path: templatePath(domain, templateId) });
  }

  async list(domain: string, options?: RequestOptions): Promise<TranscodeTemplateList> {
    return this.http.json(TranscodeTemplateList, { ...options, method: "GET", path: templatesPath(domain) });
  }

  /** Its renditions end; NotFoundError when there is no such template. */
  async delete(domain: string, templateId: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: templatePath(domain, templateId) });
  }
}
