// What the official openai client sees of NeoServer's chat logprobs: for each max_tokens given, one JSON line with
// the completion tokens the usage counts, the logprobs entries the client parsed, and their tokens joined.
//   node chat-logprobs.mjs BASE_URL MODEL PROMPT MAX_TOKENS...
import OpenAI from "openai";

const [baseURL, model, prompt, ...budgets] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
for (const budget of budgets) {
  const answer = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: prompt }],
    max_tokens: Number(budget),
    temperature: 0,
    logprobs: true,
    top_logprobs: 2,
  });
  const choice = answer.choices[0];
  const entries = choice.logprobs?.content ?? [];
  console.log(JSON.stringify({
    max_tokens: Number(budget),
    completion_tokens: answer.usage?.completion_tokens,
    entries: entries.length,
    text: choice.message.content,
    joined: entries.map((e) => e.token).join(""),
    top: entries.map((e) => e.top_logprobs.length),
  }));
}
