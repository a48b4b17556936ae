-- CreateTable
CREATE TABLE "Recording" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cameraId" TEXT NOT NULL,
    "startAt" DATETIME NOT NULL,
    "endAt" DATETIME,
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    "size" INTEGER NOT NULL DEFAULT 0,
    "initSize" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    CONSTRAINT "Recording_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Schedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cameraId" TEXT NOT NULL,
    "weekday" INTEGER NOT NULL,
    "startSec" INTEGER NOT NULL,
    "durationSec" INTEGER NOT NULL,
    CONSTRAINT "Schedule_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Snapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cameraId" TEXT NOT NULL,
    "takenAt" DATETIME NOT NULL,
    "size" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    CONSTRAINT "Snapshot_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Export" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "cameraId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "startAt" DATETIME NOT NULL,
    "endAt" DATETIME NOT NULL,
    "transcode" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "size" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Camera" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "lat" REAL,
    "lon" REAL,
    "source" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "keepalive" BOOLEAN NOT NULL DEFAULT false,
    "pushKey" TEXT,
    "tags" TEXT NOT NULL DEFAULT '[]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "recordMode" TEXT NOT NULL DEFAULT 'off',
    "segmentSec" INTEGER,
    "retentionDays" INTEGER NOT NULL DEFAULT 30,
    "snapshotSec" INTEGER NOT NULL DEFAULT 0,
    "manualRecord" BOOLEAN NOT NULL DEFAULT false,
    "manualUntil" DATETIME
);
INSERT INTO "new_Camera" ("createdAt", "enabled", "id", "keepalive", "label", "lat", "lon", "name", "pushKey", "source", "tags", "updatedAt") SELECT "createdAt", "enabled", "id", "keepalive", "label", "lat", "lon", "name", "pushKey", "source", "tags", "updatedAt" FROM "Camera";
DROP TABLE "Camera";
ALTER TABLE "new_Camera" RENAME TO "Camera";
CREATE UNIQUE INDEX "Camera_name_key" ON "Camera"("name");
CREATE UNIQUE INDEX "Camera_pushKey_key" ON "Camera"("pushKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Recording_cameraId_startAt_idx" ON "Recording"("cameraId", "startAt");

-- CreateIndex
CREATE INDEX "Recording_startAt_idx" ON "Recording"("startAt");

-- CreateIndex
CREATE INDEX "Schedule_cameraId_idx" ON "Schedule"("cameraId");

-- CreateIndex
CREATE INDEX "Snapshot_cameraId_takenAt_idx" ON "Snapshot"("cameraId", "takenAt");
