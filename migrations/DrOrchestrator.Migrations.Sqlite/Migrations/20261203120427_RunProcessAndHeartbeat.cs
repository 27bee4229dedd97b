using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DrOrchestrator.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class RunProcessAndHeartbeat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "HeartbeatAt",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Host",
                table: "Runs",
                type: "TEXT",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ProcessId",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProcessStartedAt",
                table: "Runs",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Host",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ProcessId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ProcessStartedAt",
                table: "Runs");
        }
    }
}
