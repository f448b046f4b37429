extension StatusPage {
    /// The memory series: the resident size and the parts the node accounts for.
    static let memoryParts: [(name: String, color: String, dash: String?)] = [
        ("resident (RSS)", "#1a1a1a", nil),
        ("RocksDB caches and memtables", "#0b5394", "8 3"),
        ("headers and mempool", "#38761d", "2 3"),
        ("peer send queues", "#7f6000", "10 3 2 3"),
        ("allocator overhead", "#741b47", "4 4"),
        ("unaccounted", "#b45f06", "1 2"),
    ]

    /// Part `part` of `memoryParts` in reading `i`, in bytes. Read in place: a reading carries
    /// histogram arrays, and copying 100,000 of them six times over is most of a render.
    @inline(__always)
    static func memoryValue(_ part: Int, _ readings: [Sampler.Reading], _ i: Int) -> Double? {
        switch part {
        case 0: readings[i].rss
        case 1: readings[i].memory?.rocksdb
        case 2: readings[i].memory?.chain
        case 3: readings[i].memory?.peers
        case 4: readings[i].memory?.allocator
        default: readings[i].memory?.unaccounted
        }
    }

    /// Points kept per series: a full window of 100,000 readings draws as many as one of 240.
    static let chartPoints = 240

    /// Readings drawn from one by one; beyond this many the page draws from the sampler's
    /// `MemorySpan`s (each 64 readings) instead, where it has them.
    static let rawReadingsLimit = 16_384

    /// Each series downsampled to its highest value per bucket (so a spike stays visible however
    /// long the window), and each part's lowest and highest: from the readings, or, for a long
    /// window, from the sampler's spans with only the readings at either end read one by one.
    struct MemoryWindow {
        var points: [[(x: Double, y: Double)]]
        var low: [Double?]
        var high: [Double?]
        /// Seconds per x unit, and the unit's name.
        var unit: (Double, String)

        init(_ readings: [Sampler.Reading], spans: [MemorySpan] = [], now: Double) {
            let parts = StatusPage.memoryParts.count
            points = Array(repeating: [], count: parts)
            low = Array(repeating: nil, count: parts)
            high = Array(repeating: nil, count: parts)
            unit = now - (readings.first?.time ?? now) < 180 ? (1.0, "seconds") : (60.0, "minutes")
            if readings.count > StatusPage.rawReadingsLimit, let units = MemoryWindow.units(readings, spans) {
                let step = (units.count + StatusPage.chartPoints - 1) / StatusPage.chartPoints
                var start = 0
                while start < units.count {
                    var merged = units[start]
                    for unit in units[(start + 1)..<min(units.count, start + step)] { merged.merge(unit) }
                    for part in 0..<parts {
                        if !merged.high[part].isNaN {
                            points[part].append((x: (merged.lastTime - now) / unit.0, y: merged.high[part] / Double(1 << 20)))
                            high[part] = max(high[part] ?? merged.high[part], merged.high[part])
                        }
                        if !merged.low[part].isNaN { low[part] = min(low[part] ?? merged.low[part], merged.low[part]) }
                    }
                    start += step
                }
                return
            }
            let step = max(1, (readings.count + StatusPage.chartPoints - 1) / StatusPage.chartPoints)
            var start = 0
            while start < readings.count {
                let end = min(readings.count, start + step)
                let x = (readings[end - 1].time - now) / unit.0
                for part in 0..<parts {
                    var bucketHigh: Double?
                    for i in start..<end {
                        guard let v = StatusPage.memoryValue(part, readings, i) else { continue }
                        bucketHigh = max(bucketHigh ?? v, v)
                        low[part] = min(low[part] ?? v, v)
                    }
                    if let bucketHigh {
                        points[part].append((x: x, y: bucketHigh / Double(1 << 20)))
                        high[part] = max(high[part] ?? bucketHigh, bucketHigh)
                    }
                }
                start = end
            }
        }

        /// The window as spans: the readings before the first span wholly inside it, the spans,
        /// then the readings after the last; nil when no span lies inside the window.
        static func units(_ readings: [Sampler.Reading], _ spans: [MemorySpan]) -> [MemorySpan]? {
            guard let oldest = readings.first?.time else { return nil }
            let inside = spans.drop { $0.firstTime < oldest }
            guard let first = inside.first, let last = inside.last else { return nil }
            var units = [MemorySpan]()
            units.reserveCapacity(inside.count + 2 * MemorySpan.blockSize)
            var i = 0
            while i < readings.count, readings[i].time < first.firstTime {
                units.append(MemorySpan(readings[i]))
                i += 1
            }
            units.append(contentsOf: inside)
            var j = readings.count - 1
            while j >= 0, readings[j].time > last.lastTime { j -= 1 }
            for k in (j + 1)..<readings.count { units.append(MemorySpan(readings[k])) }
            return units
        }

        var chart: SVGChart {
            var series = [SVGChart.Series]()
            for (part, info) in StatusPage.memoryParts.enumerated() where !points[part].isEmpty {
                var line = SVGChart.Series(name: info.name, color: info.color, points: points[part])
                line.dash = info.dash
                series.append(line)
            }
            return SVGChart(title: "Memory (MiB)", xLabel: unit.1 + " before now", yLabel: "MiB", series: series)
        }
    }

    static func memorySection(_ model: Model) -> String {
        var html = "<section id=\"memory\" aria-labelledby=\"memory-title\">\n<h2 id=\"memory-title\">Memory</h2>\n"
        guard let latest = model.readings.last, latest.rss != nil else {
            return html + "<p>\(unknown)</p>\n</section>\n"
        }
        let window = MemoryWindow(model.readings, spans: model.memorySpans, now: model.now)
        let span = latest.time - (model.readings.first?.time ?? latest.time)
        html += "<figure>\n" + window.chart.render(width: 900, height: 320, fluid: true)
        html +=
            "<figcaption>Resident memory and its accounted parts over the sampler's window (\(duration(span))); the same figures in the table.</figcaption>\n</figure>\n"
        var rows = [[String]]()
        for (part, info) in memoryParts.enumerated() {
            guard let now = memoryValue(part, model.readings, model.readings.count - 1), let low = window.low[part], let high = window.high[part] else {
                continue
            }
            rows.append([info.name, bytes(now), bytes(low), bytes(high)])
        }
        html += table(["Part", "Now", "Lowest in window", "Highest in window"], rows)
        if let growth = latest.rssGrowth {
            html += "<p>Unaccounted growth since warm-up: \(decimal(growth * 100)) %</p>\n"
        }
        return html + "</section>\n"
    }

    /// The chart alone (tests look at its size).
    static func memoryChart(_ readings: [Sampler.Reading], spans: [MemorySpan] = [], now: Double) -> SVGChart {
        MemoryWindow(readings, spans: spans, now: now).chart
    }
}
