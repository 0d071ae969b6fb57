#include "harness/store/run_shards.h"

namespace moebench::store {

void put_run_shard(Database& db, int64_t run, const RunShard& s) {
  auto q = db.prepare(
      "INSERT OR REPLACE INTO run_shards (run_id, shard, host, device, status, started_at,"
      " finished_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind_all(run, s.shard, s.host, s.device, s.status, s.started_at, s.finished_at, s.updated_at);
  if (s.finished_at.empty()) q.bind_null(7);
  q.run();
}

bool resume_run_shard(Database& db, int64_t run, const std::string& shard,
                      const std::string& host, const std::string& device, const std::string& now) {
  auto q = db.prepare(
      "UPDATE run_shards SET status = 'running', finished_at = NULL, host = ?, device = ?,"
      " updated_at = ? WHERE run_id = ? AND shard = ?");
  q.bind_all(host, device, now, run, shard);
  return q.run() == 1;
}

bool finish_run_shard(Database& db, int64_t run, const std::string& shard,
                      const std::string& status, const std::string& now) {
  auto q = db.prepare(
      "UPDATE run_shards SET status = ?1, finished_at = CASE WHEN ?1 = 'running' THEN NULL"
      " ELSE ?2 END, updated_at = ?2 WHERE run_id = ?3 AND shard = ?4");
  q.bind_all(status, now, run, shard);
  return q.run() == 1;
}

std::string run_shard_updated_at(Database& db, int64_t run, const std::string& shard) {
  auto q = db.prepare("SELECT updated_at FROM run_shards WHERE run_id = ? AND shard = ?");
  q.bind_all(run, shard);
  return q.step() ? q.text(0) : std::string();
}

void summarise_run(Database& db, int64_t run) {
  // group_concat follows the subquery's order in SQLite; GROUP BY makes the
  // values distinct, MIN(shard) orders them by the first shard that used them.
  auto q = db.prepare(
      "UPDATE runs SET"
      " status = (SELECT CASE WHEN SUM(status = 'failed') > 0 THEN 'failed'"
      "   WHEN SUM(status = 'running') > 0 THEN 'running'"
      "   WHEN SUM(status = 'interrupted') > 0 THEN 'interrupted' ELSE 'complete' END"
      "   FROM run_shards WHERE run_id = ?1),"
      " started_at = (SELECT MIN(started_at) FROM run_shards WHERE run_id = ?1),"
      " finished_at = (SELECT CASE WHEN SUM(status = 'running') > 0 THEN NULL"
      "   ELSE MAX(finished_at) END FROM run_shards WHERE run_id = ?1),"
      " host = (SELECT COALESCE(group_concat(host, ','), '') FROM (SELECT host FROM run_shards"
      "   WHERE run_id = ?1 AND host <> '' GROUP BY host ORDER BY MIN(shard))),"
      " device = (SELECT COALESCE(group_concat(device, ','), '') FROM (SELECT device FROM"
      "   run_shards WHERE run_id = ?1 AND device <> '' GROUP BY device ORDER BY MIN(shard))),"
      " shard = (SELECT COALESCE(group_concat(shard, ','), '') FROM (SELECT shard FROM"
      "   run_shards WHERE run_id = ?1 AND shard <> '' ORDER BY shard))"
      " WHERE run_id = ?1 AND EXISTS (SELECT 1 FROM run_shards WHERE run_id = ?1)");
  q.bind(1, run);
  q.run();
}

}  // namespace moebench::store
